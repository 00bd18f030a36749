"""Reports of a run: compliance report, Allure results, statistics, evidence package."""
