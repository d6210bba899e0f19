/* src/master/stats.h -- (being written) */
#ifndef SRC_MASTER_STATS_H
#define SRC_MASTER_STATS_H
#endif
