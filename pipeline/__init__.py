"""findings-pipeline: captures of the Effectiveness Bank treatment matrices → clean, normalised Parquet tables."""
