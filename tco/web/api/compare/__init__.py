"""``POST /api/v1/compare``: many options on one workload, ranked by NPV."""
