"""Where a story goes: the route table, route rules and their explanations, and the planner that turns a story
change into ledger actions."""
