/* src/worker/update/udoc.h -- (being written) */
