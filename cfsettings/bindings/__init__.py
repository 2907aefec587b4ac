"""Read service bindings and decide what each bound service is and how to reach it."""
