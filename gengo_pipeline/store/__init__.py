"""Storage and datasets: where files go, who owns them, how they are committed (the storage seam)."""
