"""Tools people run: the reference sheet, the review app, the knowledge generator, the negative-corpus builder."""
