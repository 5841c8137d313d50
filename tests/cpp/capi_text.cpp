// rewritten below
