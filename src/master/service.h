/* src/master/service.h -- (being written) */
#ifndef SRC_MASTER_SERVICE_H
#define SRC_MASTER_SERVICE_H
#endif
