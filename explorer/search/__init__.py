"""The search: the design space as integer tables, the CP-SAT model and its solve,
the reference enumerator, and the runs built on them (main, robust, verify).
"""
