"""Demo data: fictitious schools and equipment in real communes of the metropolis."""
