/* STAND-IN helper for tests (not Apache Cassandra): listens on the TCP ports given as arguments
 * (Cassandra's storage and native-transport ports), accepts and closes connections, and exits 0
 * on SIGTERM/SIGINT. Started by tests/standins/cassandra-tools/cassandra through
 * $CASSANDRA_STANDIN_LISTEN. A port of 0 or "" is skipped. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv) {
    struct pollfd fds[8];
    int n = 0;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    for (int i = 1; i < argc && n < 8; i++) {
        int port = atoi(argv[i]);
        if (port <= 0 || port > 65535) continue;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 16)) {
            fprintf(stderr, "cassandra stand-in: cannot listen on port %d: %s\n", port, strerror(errno));
            return 1;
        }
        fds[n].fd = fd;
        fds[n].events = POLLIN;
        n++;
        printf("cassandra stand-in: listening on port %d\n", port);
    }
    fflush(stdout);
    while (!stop) {
        int r = poll(fds, (nfds_t)n, 1000);
        for (int i = 0; r > 0 && i < n; i++) {
            if (!(fds[i].revents & POLLIN)) continue;
            int c = accept(fds[i].fd, NULL, NULL);
            if (c >= 0) close(c);
        }
    }
    printf("cassandra stand-in: stopping\n");
    return 0;
}
