"""The contract file format: validation with paths, and loading into the services that own each part."""
