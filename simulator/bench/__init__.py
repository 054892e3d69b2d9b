"""The benchmark suite and the plain-numpy peer of the kernel."""
