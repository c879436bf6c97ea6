"""Performance measurements, run as scripts or with `make bench`; never part of the test suite's timing."""
