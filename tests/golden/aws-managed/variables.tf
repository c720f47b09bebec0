# Inputs of this blueprint. Everything client-specific is rendered from the spec; variables
# are only the switches an operator may need at apply time.
