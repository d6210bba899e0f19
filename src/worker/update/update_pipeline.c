/* src/worker/update/update_pipeline.c -- (being written) */
