"""The KPI aggregates the ORM cannot say. `{decisions}` is the ORM-compiled query of the decision ids counted."""

# Rejections per reason code: a decision's `reasons` is a JSON array, counted per element (unnest; no ORM API).
REASON_COUNTS_POSTGRESQL = """
    SELECT r.code, count(*) FROM approvals_decision d
    CROSS JOIN LATERAL jsonb_array_elements_text(d.reasons) AS r(code)
    WHERE d.id IN ({decisions})
    GROUP BY r.code ORDER BY count(*) DESC, r.code
"""
REASON_COUNTS_SQLITE = """
    SELECT r.value, count(*) FROM approvals_decision d
    CROSS JOIN json_each(d.reasons) AS r
    WHERE d.id IN ({decisions})
    GROUP BY r.value ORDER BY count(*) DESC, r.value
"""
