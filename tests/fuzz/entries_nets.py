"""stub"""
ENTRIES = []
EXEMPT = []
