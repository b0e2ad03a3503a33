"""Print the SKUs whose stock is under their reorder level."""
import csv
import sys


def low_stock(rows):
    for row in rows:
        if int(row["stock"]) < int(row["reorder_level"]):
            yield row["sku"], int(row["stock"]), int(row["reorder_level"])


def main(path: str) -> None:
    with open(path, newline="") as f:
        for sku, stock, level in low_stock(csv.DictReader(f)):
            print(f"{sku}: {stock} left (reorder at {level})")


if __name__ == "__main__":
    main(sys.argv[1])
