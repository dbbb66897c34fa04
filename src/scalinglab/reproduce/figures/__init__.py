"""One module per reproduced figure: ``compute(cfg, ctx) -> tables`` and ``draw(tables, cfg)``."""
