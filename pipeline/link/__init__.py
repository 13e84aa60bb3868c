"""The corpus stage: after every document is processed, link documents to the policies
they cite and implement, measure by measure.

``citations`` resolves each cited title or doc number to a document of the run;
``candidates`` picks the document pairs worth comparing (citation relations, shared
citations, MinHash LSH over measure shingles); ``align`` scores measure pairs and
finds the passage they share; ``stage`` reads a run's tables and returns the
``links`` table and the resolved ``citations`` table.
"""
