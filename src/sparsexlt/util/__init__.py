"""Small helpers shared by every layer: content hashing, atomic writes, progress output."""
