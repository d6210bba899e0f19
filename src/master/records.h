/* src/master/records.h -- (being written) */
#ifndef SRC_MASTER_RECORDS_H
#define SRC_MASTER_RECORDS_H
#endif
