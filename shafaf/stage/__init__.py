"""The staged package an accepted file becomes (var/packages/<agency>/)."""
