
raise ImportError("the application's own logging package was imported instead of the standard library's")
