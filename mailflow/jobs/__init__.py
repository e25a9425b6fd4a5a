"""Work the clock starts: the scheduler and one module per job."""
