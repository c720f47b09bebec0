"""Monthly cost estimates of blueprints: price table, inventory of what is deployed, rules, reports."""
