"""The corpus stage: after every document is processed, link documents to the policies
they cite and implement, measure by measure.

``citations`` resolves each cited title or doc number to a document of the run;
``candidates`` picks the document pairs worth comparing (citation relations, shared
citations, MinHash LSH over measure shingles); ``align`` weighs measures' n-grams and
words, scores measure pairs and finds the passage they share; ``pairs`` runs the pairs
over arrays that worker processes map from a work folder; ``keys`` turns texts into
integer keys and counts them in numpy; ``stage`` reads a run's tables and returns the
``links`` table and the resolved ``citations`` table.
"""
