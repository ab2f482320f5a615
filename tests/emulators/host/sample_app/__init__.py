"""A small Functions app (Blueprints, every trigger the local host runs) used only by its tests."""
