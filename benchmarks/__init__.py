"""Speed and memory benchmarks that print tables; run each as ``python -m benchmarks.NAME`` from the checkout."""
