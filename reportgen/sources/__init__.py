"""The sources: cited URLs checked and archived, quotations checked against their texts."""
