"""The clean and frame stages on a Dask cluster (docs/scale-out.md, "Processing on Dask").

`units`: a stage's input split into units of work with stable ids; `worker`: what a Dask worker
runs (the pure cores, models loaded once per worker process); `engine`: the Dask client from the
settings and a runner that hands units to it; `stages`: the stage calls the flows and the CLI use
when `[processing] engine = "dask"`.
"""
