/*
 * A no-op milter on Sendmail's libmilter, for bench/load/milter.sh: what a milter costs Postfix when
 * the milter library is not Floodgate's. It reads what it asks for, decides nothing, and at end of
 * message adds "X-Libmilter-Noop: pass" (so the harness can check that it acted) and continues.
 *
 *   libmilter-noop -p inet:PORT@127.0.0.1 [-s same|eom-only] [-N]
 *
 *   -s same      (default, mode "libmilter") the steps Floodgate's milter asks for
 *                (src/Floodgate/Postfix/MilterGateway.cs SkippedSteps plus MilterServerOptions
 *                NoReplyForHeadersAndBody): no HELO, DATA or unknown commands; connect, MAIL and
 *                RCPT answered; headers, end of headers and body chunks received without a reply.
 *   -s eom-only  (mode "libmilter-eom") the floor of any milter: every step that can be left out is,
 *                and no reply is asked where a step is still sent; only end of message is answered.
 *   -N           leave Nagle's algorithm on, as stock libmilter does (see set_no_delay_on_listener).
 *
 * Build: gcc -O2 -o libmilter-noop libmilter-noop.c -lmilter -pthread   (Debian: libmilter-dev)
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* The protocol flags asked for per variant; each is intersected with what the MTA offers. */
static const unsigned long same_as_floodgate =
    SMFIP_NOHELO | SMFIP_NODATA | SMFIP_NOUNKNOWN | SMFIP_NR_EOH | SMFIP_NR_HDR | SMFIP_NR_BODY;

static const unsigned long eom_only =
    SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT | SMFIP_NOBODY | SMFIP_NOHDRS
    | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA
    /* No reply, for an MTA that may leave a step out of its offer but still not wait for it. */
    | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN
    | SMFIP_NR_EOH | SMFIP_NR_HDR | SMFIP_NR_BODY;

static unsigned long wanted_protocol;

/*
 * The negotiated flags are kept in the connection's private pointer itself (no allocation per
 * connection): a stage whose "no reply" flag was agreed must answer SMFIS_NOREPLY, any other
 * SMFIS_CONTINUE.
 */
static sfsistat reply_for(SMFICTX *ctx, unsigned long no_reply_flag)
{
    unsigned long agreed = (unsigned long)(uintptr_t)smfi_getpriv(ctx);
    return (agreed & no_reply_flag) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long offered_actions, unsigned long offered_protocol,
                             unsigned long f2, unsigned long f3, unsigned long *actions,
                             unsigned long *protocol, unsigned long *p2, unsigned long *p3)
{
    (void)f2;
    (void)f3;
    if ((offered_actions & SMFIF_ADDHDRS) == 0)
    {
        /* Without adding headers the harness could not see that the milter acted. */
        return SMFIS_REJECT;
    }

    *actions = SMFIF_ADDHDRS;
    *protocol = wanted_protocol & offered_protocol;
    *p2 = 0;
    *p3 = 0;
    smfi_setpriv(ctx, (void *)(uintptr_t)*protocol);
    return SMFIS_CONTINUE;
}

static sfsistat on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *address)
{
    (void)host;
    (void)address;
    return reply_for(ctx, SMFIP_NR_CONN);
}

static sfsistat on_mail(SMFICTX *ctx, char **arguments)
{
    (void)arguments;
    return reply_for(ctx, SMFIP_NR_MAIL);
}

static sfsistat on_rcpt(SMFICTX *ctx, char **arguments)
{
    (void)arguments;
    return reply_for(ctx, SMFIP_NR_RCPT);
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
    (void)name;
    (void)value;
    return reply_for(ctx, SMFIP_NR_HDR);
}

static sfsistat on_end_of_headers(SMFICTX *ctx)
{
    return reply_for(ctx, SMFIP_NR_EOH);
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t length)
{
    (void)chunk;
    (void)length;
    return reply_for(ctx, SMFIP_NR_BODY);
}

static sfsistat on_end_of_message(SMFICTX *ctx)
{
    if (smfi_addheader(ctx, "X-Libmilter-Noop", "pass") != MI_SUCCESS)
    {
        return SMFIS_TEMPFAIL;
    }

    return SMFIS_CONTINUE;
}

/*
 * libmilter writes the end-of-message header ("h") and the decision ("c") as two small writes and
 * leaves Nagle's algorithm on, so the second waits for the peer's delayed ACK: 44 ms per end of
 * message against 0.08 ms with TCP_NODELAY (one connection sending end of message in a loop, under
 * the bench lock, 2026-11-28; Floodgate's library, which sets NoDelay: 0.05 ms). That would measure
 * a socket setting, not the library; Floodgate sets TCP_NODELAY, so this milter gets it too. libmilter has no setting for it and does not expose its
 * sockets, so it is set on the listening socket, found among our descriptors after
 * smfi_opensocket; Linux copies TCP_NODELAY to every connection accepted from it.
 */
static int set_no_delay_on_listener(void)
{
    int found = 0;
    for (int fd = 0; fd < 1024; fd++)
    {
        int listening = 0;
        socklen_t length = sizeof listening;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening)
        {
            continue;
        }

        int on = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
        {
            return 0;
        }

        found++;
    }

    return found == 1;
}

static void usage(const char *program)
{
    fprintf(stderr, "usage: %s -p inet:PORT@127.0.0.1 [-s same|eom-only] [-N]\n", program);
    exit(2);
}

int main(int argc, char **argv)
{
    char *socket_spec = NULL;
    int eom = 0;
    int nagle = 0;
    int option;
    while ((option = getopt(argc, argv, "p:s:N")) != -1)
    {
        switch (option)
        {
        case 'p':
            socket_spec = optarg;
            break;
        case 's':
            if (strcmp(optarg, "same") == 0)
            {
                eom = 0;
            }
            else if (strcmp(optarg, "eom-only") == 0)
            {
                eom = 1;
            }
            else
            {
                usage(argv[0]);
            }
            break;
        case 'N':
            nagle = 1;
            break;
        default:
            usage(argv[0]);
        }
    }

    if (socket_spec == NULL || optind != argc)
    {
        usage(argv[0]);
    }

    wanted_protocol = eom ? eom_only : same_as_floodgate;

    /* A callback left NULL is a step this milter has no use for; the eom-only variant has none but the end. */
    struct smfiDesc description = {
        .xxfi_name = eom ? "libmilter-noop-eom" : "libmilter-noop",
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = SMFIF_ADDHDRS,
        .xxfi_connect = eom ? NULL : on_connect,
        .xxfi_envfrom = eom ? NULL : on_mail,
        .xxfi_envrcpt = eom ? NULL : on_rcpt,
        .xxfi_header = eom ? NULL : on_header,
        .xxfi_eoh = eom ? NULL : on_end_of_headers,
        .xxfi_body = eom ? NULL : on_body,
        .xxfi_eom = on_end_of_message,
        .xxfi_negotiate = on_negotiate,
    };

    if (smfi_setconn(socket_spec) != MI_SUCCESS)
    {
        fprintf(stderr, "smfi_setconn %s failed\n", socket_spec);
        return 1;
    }

    if (smfi_register(description) != MI_SUCCESS)
    {
        fprintf(stderr, "smfi_register failed\n");
        return 1;
    }

    /* Postfix keeps one milter connection per SMTP session; reconnecting load opens many at once. */
    smfi_setbacklog(1024);
    if (smfi_opensocket(1) != MI_SUCCESS)
    {
        fprintf(stderr, "cannot listen on %s\n", socket_spec);
        return 1;
    }

    if (!nagle && !set_no_delay_on_listener())
    {
        fprintf(stderr, "cannot set TCP_NODELAY on the listening socket of %s\n", socket_spec);
        return 1;
    }

    printf("libmilter no-op milter (%s, %s) listening on %s\n", eom ? "eom-only" : "same",
           nagle ? "Nagle on" : "TCP_NODELAY", socket_spec);
    fflush(stdout);
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
