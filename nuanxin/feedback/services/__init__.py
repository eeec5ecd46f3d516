"""Writes of the feedback app: ratings (ratings.py) and the complaint workflow (complaints.py)."""
