"""The web pages of the product: one address for everyone, over the four services' APIs."""
