"""Integer-exact numpy golden models and workload generators for the QNN kernels."""
