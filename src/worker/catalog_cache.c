/* src/worker/catalog_cache.c -- (being written) */
