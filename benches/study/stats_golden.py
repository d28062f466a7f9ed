"""Golden values for src/study/stats_tests.rs, computed by scipy.

Run: python3 -m venv target/scipy-venv && target/scipy-venv/bin/pip install scipy
     target/scipy-venv/bin/python benches/study/stats_golden.py
"""
from scipy.stats import kendalltau
import numpy as np

cases = {
    "no_ties": ([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4, 3, 6, 5, 8, 7]),
    "ties_both": ([1, 2, 2, 3, 4, 4, 4, 5, 6, 7], [3, 1, 2, 2, 5, 4, 6, 6, 7, 5]),
    "reversed": ([1, 2, 3, 4], [4, 3, 2, 1]),
    "real": ([0.91, 0.87, 0.95, 0.80, 0.93, 0.88, 0.79, 0.97, 0.90],
             [3.41, 3.45, 3.39, 3.50, 3.44, 3.43, 3.52, 3.38, 3.40]),
}
for name, (x, y) in cases.items():
    t = kendalltau(x, y, variant="b")
    print(f"{name}: tau_b = {t.statistic!r}")
x = np.array([0.91, 0.87, 0.95, 0.80, 0.93, 0.88, 0.79, 0.97, 0.90])
print("quantile 0.025 / 0.975 of x:", np.quantile(x, 0.025), np.quantile(x, 0.975))
