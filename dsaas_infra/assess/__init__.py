"""The maturity self-assessment behind `init --assess`: questions, scoring, reasons, interview."""
