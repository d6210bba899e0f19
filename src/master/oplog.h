/* src/master/oplog.h -- (being written) */
#ifndef SRC_MASTER_OPLOG_H
#define SRC_MASTER_OPLOG_H
#endif
