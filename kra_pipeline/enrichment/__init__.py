"""Enrichment, the domain core: which details a race day needs (`plan`), and fetching them
(`fetch`)."""
