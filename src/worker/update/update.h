/* src/worker/update/update.h -- (being written) */
#ifndef SRC_WORKER_UPDATE_UPDATE_H
#define SRC_WORKER_UPDATE_UPDATE_H
#endif
