/* src/master/indexes.h -- (being written) */
#ifndef SRC_MASTER_INDEXES_H
#define SRC_MASTER_INDEXES_H
#endif
