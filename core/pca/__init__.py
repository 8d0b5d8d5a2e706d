"""PCA (the pca Space): the decomposition, its figures."""
