"""What a capable model could answer (for bench/model_value.py): scenarios written from the prompt
alone, the way a careful person would read it: the redacted source's conditions, its
placeholders for the literals, the schemas shown.

Each answer is a function of the prompt's text (the placeholders are taken from the source as
the model sees it, so the answers follow any change of the numbering). Served by the scripted
Ollama-protocol server.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Answer = Callable[[str], dict]


def ph(prompt: str, before: str, nth: int = 0) -> str:
    """The placeholder right after the ``nth`` occurrence of ``before`` in the prompt."""
    found = re.findall(re.escape(before) + r"\s*(:(?:str|num)_\d+|<(?:str|num)_\d+>)", prompt)
    return found[nth]


def seed(table: str, *rows: dict) -> dict:
    return {"table": table, "rows": list(rows)}


def expect(table: str, after: str = "upgrade", **what) -> dict:
    return {"table": table, "after": after, **what}


def scenario(name: str, purpose: str, seeds: list[dict], expectations: list[dict], action: str = "upgrade_then_downgrade",
             **extra) -> dict:
    return {"name": name, "purpose": purpose, "seed": seeds, "action": action, "expect": expectations, **extra}


CUSTOMER = {"id": 1, "email": "a@example.test", "full_name": "A"}


def demo_backfill(p: str) -> dict:
    legacy, like, below = ph(p, "SET status = "), ph(p, "email LIKE "), ph(p, "id < ")
    return {"scenarios": [
        scenario("orders_without_status_get_the_legacy_status", "Only orders without a status get it; the downgrade clears it.",
                 [seed("customers", CUSTOMER),
                  seed("orders", {"id": 1, "customer_id": 1, "status": None}, {"id": 2, "customer_id": 1, "status": "open"})],
                 [expect("orders", where={"id": 1}, count=1, values={"status": legacy}),
                  expect("orders", where={"id": 2}, count=1, values={"status": "open"}),
                  expect("orders", "downgrade", rows=[{"id": 1, "status": None}, {"id": 2, "status": "open"}])]),
        scenario("only_low_ids_at_the_legacy_domain_are_switched_off", "The LIKE and the id bound both decide.",
                 [seed("customers", {"id": 1, "email": f"a{like}", "full_name": "A"},
                       {"id": 2, "email": "b@example.test", "full_name": "B"},
                       {"id": below, "email": f"c{like}", "full_name": "C"})],
                 [expect("customers", where={"id": 1}, count=1, values={"is_active": False}),
                  expect("customers", where={"is_active": True}, count=2),
                  expect("customers", "downgrade", where={"is_active": False}, count=1)]),
    ]}


def demo_flags(p: str) -> dict:
    return {"scenarios": [scenario("existing_rows_get_the_defaults", "Old products and customers get stock 0 and are active.",
                                   [seed("products", {"id": 1, "sku": "s1", "name": "P", "price_cents": 100}),
                                    seed("customers", CUSTOMER)],
                                   [expect("products", values={"stock": 0}), expect("customers", values={"is_active": True})])]}


def demo_status_required(p: str) -> dict:
    return {"scenarios": [scenario("an_order_without_status_stops_the_upgrade", "status becomes NOT NULL.",
                                   [seed("customers", CUSTOMER), seed("orders", {"id": 1, "customer_id": 1, "status": None})],
                                   [], action="upgrade", raises=True)]}


def demo_discontinued(p: str) -> dict:
    return {"scenarios": [scenario("products_are_not_discontinued", "Existing products get no date.",
                                   [seed("products", {"id": 1, "sku": "s1", "name": "P", "price_cents": 100})],
                                   [expect("products", where={"discontinued_at": None}, count=1)], action="upgrade")]}


def demo_phone(p: str) -> dict:
    return {"scenarios": [scenario("customers_have_no_phone_yet", "The new column is empty.",
                                   [seed("customers", CUSTOMER, {"id": 2, "email": "b@example.test", "full_name": "B"})],
                                   [expect("customers", where={"phone": None}, count=2)])]}


def accounts_tier(p: str) -> dict:
    bound, gold, standard = ph(p, "lifetime_cents >= "), ph(p, "SET tier = "), ph(p, "SET tier = ", 1)
    return {"scenarios": [scenario("the_bound_is_gold_below_it_standard", "At the bound and above: gold; below: standard.",
                                   [seed("accounts", {"id": 1, "email": "a@x.test", "lifetime_cents": bound},
                                         {"id": 2, "email": "b@x.test", "lifetime_cents": 5},
                                         {"id": 3, "email": "c@x.test", "lifetime_cents": 900000000})],
                                   [expect("accounts", where={"id": 1}, values={"tier": gold}),
                                    expect("accounts", where={"id": 2}, values={"tier": standard}),
                                    expect("accounts", where={"id": 3}, values={"tier": gold})], action="upgrade")]}


def accounts_domain(p: str) -> dict:
    return {"scenarios": [scenario("domains_are_trimmed_and_lower_case", "Mixed case and spaces around the address.",
                                   [seed("accounts", {"id": 1, "email": " a@MiXed.Example ", "lifetime_cents": 0},
                                         {"id": 2, "email": "b@plain.test", "lifetime_cents": 0})],
                                   [expect("accounts", rows=[{"id": 1, "email_domain": "mixed.example"},
                                                             {"id": 2, "email_domain": "plain.test"}])], action="upgrade")]}


def people_full_name(p: str) -> dict:
    return {"scenarios": [scenario("full_name_joins_first_and_last", "First and last name with one space between.",
                                   [seed("people", {"id": 1, "first_name": "Ada", "last_name": "Lovelace"})],
                                   [expect("people", values={"full_name": "Ada Lovelace"})], action="upgrade")]}


def people_index(p: str) -> dict:
    return {"scenarios": [scenario("people_are_kept_by_the_index", "An index changes no row.",
                                   [seed("people", {"id": 1, "full_name": "Ada Lovelace"}, {"id": 2, "full_name": "Ada Lovelace"})],
                                   [expect("people", where={"full_name": "Ada Lovelace"}, count=2)])]}


def tickets_cleanup(p: str) -> dict:
    large, medium = ph(p, "amount_cents >= "), ph(p, "amount_cents >= ", 1)
    big, middle, small = ph(p, "THEN "), ph(p, "THEN ", 1), ph(p, "ELSE ")
    closed, done = ph(p, "SET status = "), ph(p, "IN (")
    resolved = ph(p, f"IN ({done},")
    urgent, above, spam = ph(p, "WHERE status = "), ph(p, "amount_cents > "), ph(p, "email LIKE ")
    reopened = ph(p, "SET status = ", 1)
    return {"scenarios": [
        scenario("amounts_at_each_bound_get_their_tier", "Each CASE branch and its bound.",
                 [seed("tickets", {"id": 1, "email": "a@x.test", "amount_cents": large},
                       {"id": 2, "email": "b@x.test", "amount_cents": medium},
                       {"id": 3, "email": "c@x.test", "amount_cents": 5})],
                 [expect("tickets", rows=[{"id": 1, "tier": big}, {"id": 2, "tier": middle}, {"id": 3, "tier": small}])],
                 action="upgrade"),
        scenario("done_and_resolved_are_closed_and_come_back_done", "Both IN members; another status and NULL stay.",
                 [seed("tickets", {"id": 1, "email": "a@x.test", "status": done}, {"id": 2, "email": "b@x.test", "status": resolved},
                       {"id": 3, "email": "c@x.test", "status": "open"}, {"id": 4, "email": "d@x.test", "status": None})],
                 [expect("tickets", rows=[{"id": 1, "status": closed}, {"id": 2, "status": closed},
                                          {"id": 3, "status": "open"}, {"id": 4, "status": None}]),
                  expect("tickets", "downgrade", rows=[{"id": 1, "status": reopened}, {"id": 2, "status": reopened},
                                                       {"id": 3, "status": "open"}, {"id": 4, "status": None}])]),
        scenario("urgent_above_the_bound_gets_priority_and_spam_goes", "Both conditions; the bound itself; the spam domain.",
                 [seed("tickets", {"id": 1, "email": "a@x.test", "status": urgent, "amount_cents": 900000},
                       {"id": 2, "email": "b@x.test", "status": urgent, "amount_cents": above},
                       {"id": 3, "email": "c@x.test", "status": "open", "amount_cents": 900000},
                       {"id": 4, "email": f"d{spam}", "status": "open"})],
                 [expect("tickets", rows=[{"id": 1, "priority": 3}, {"id": 2, "priority": 0}, {"id": 3, "priority": 0}])],
                 action="upgrade"),
    ]}


def tickets_emails(p: str) -> dict:
    return {"scenarios": [scenario("emails_are_trimmed_and_lower_case", "Mixed case and spaces; a clean one stays.",
                                   [seed("tickets", {"id": 1, "email": " A@X.Test "}, {"id": 2, "email": "b@x.test"})],
                                   [expect("tickets", rows=[{"id": 1, "email": "a@x.test"}, {"id": 2, "email": "b@x.test"}])],
                                   action="upgrade")]}


def tickets_closed_at(p: str) -> dict:
    closed, bound = ph(p, "WHERE status = "), ph(p, "priority < ")
    return {"scenarios": [scenario("only_closed_low_priority_tickets_without_a_date_get_one", "Each condition on its own.",
                                   [seed("tickets", {"id": 1, "email": "a@x.test", "status": closed},
                                         {"id": 2, "email": "b@x.test", "status": closed, "priority": bound},
                                         {"id": 3, "email": "c@x.test", "status": "open"},
                                         {"id": 4, "email": "d@x.test", "status": closed, "closed_at": "2024-05-01T10:00:00"})],
                                   [expect("tickets", where={"closed_at": None}, rows=[{"id": 2}, {"id": 3}]),
                                    expect("tickets", where={"id": 4}, values={"closed_at": "2024-05-01T10:00:00"})],
                                   action="upgrade")]}


ANSWERS: dict[str, Answer] = {
    "d1a004c81e95": demo_flags, "d1a0055ad3f0": demo_backfill, "d1a008e2a5c9": demo_status_required,
    "d1a0094d7b13": demo_discontinued, "d1a010a6f352": demo_phone,
    "da7a02e4f5a6": accounts_tier, "da7a04f0a1b2": accounts_domain, "c0de02e3f5a7": people_full_name, "c0de03b8c0d2": people_index,
    "ba1e02d4e5f6": tickets_cleanup, "ba1e03a7b8c9": tickets_emails, "ba1e04c1d2e3": tickets_closed_at,
}


def answer_for(prompt: str) -> dict:
    """The answer to a request whose first user message is ``prompt`` (empty scenarios: none written)."""
    revision = re.match(r"Revision (\S+):", prompt)
    chosen = ANSWERS.get(revision.group(1)) if revision else None
    if chosen is None:
        raise LookupError(f"no capable answer written for {prompt.splitlines()[0]}")
    return chosen(prompt)
