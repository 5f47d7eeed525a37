/* An attendee's calendar answering an invite, the way libical-based clients
 * (Evolution's itip code, KDE's) do it: parse the invite with libical, find
 * "me" among its ATTENDEEs by comparing the mailto: value, and build the
 * METHOD:REPLY with that ATTENDEE and a PARTSTAT.
 *
 *   libical_reply ADDRESS PARTSTAT < invite.ics > reply.ics
 *
 * Exit 2 when libical does not parse the invite, 3 when ADDRESS is not among
 * its attendees (the "cannot find the attendee to reply" failure). */
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *read_all(FILE *in) {
    size_t size = 0, room = 65536;
    char *text = malloc(room);
    size_t got;
    while ((got = fread(text + size, 1, room - size - 1, in)) > 0) {
        size += got;
        if (size + 1 >= room) text = realloc(text, room *= 2);
    }
    text[size] = '\0';
    return text;
}

int main(int argc, char **argv) {
    if (argc != 3) return 64;
    char *text = read_all(stdin);
    icalcomponent *calendar = icalparser_parse_string(text);
    if (!calendar) return 2;
    icalcomponent *event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
    if (!event) return 2;
    char me[1024];
    snprintf(me, sizeof me, "mailto:%s", argv[1]);
    icalproperty *mine = NULL;
    for (icalproperty *p = icalcomponent_get_first_property(event, ICAL_ATTENDEE_PROPERTY); p;
         p = icalcomponent_get_next_property(event, ICAL_ATTENDEE_PROPERTY)) {
        const char *value = icalproperty_get_attendee(p);
        if (value && strcasecmp(value, me) == 0) mine = p;
    }
    if (!mine) return 3;
    icalcomponent *reply = icalcomponent_vanew(
        ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
        icalproperty_new_prodid("-//innoff interop//libical reply//EN"),
        icalproperty_new_method(ICAL_METHOD_REPLY), (void *)0);
    icalcomponent *answer = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    icalcomponent_add_property(answer, icalproperty_new_uid(icalcomponent_get_uid(event)));
    icalcomponent_add_property(answer, icalproperty_new_sequence(icalcomponent_get_sequence(event)));
    icalcomponent_add_property(answer, icalproperty_new_dtstamp(icaltime_current_time_with_zone(icaltimezone_get_utc_timezone())));
    icalcomponent_add_property(answer, icalproperty_new_clone(
        icalcomponent_get_first_property(event, ICAL_ORGANIZER_PROPERTY)));
    icalproperty *attendee = icalproperty_new_clone(mine);
    icalproperty_remove_parameter_by_kind(attendee, ICAL_PARTSTAT_PARAMETER);
    icalproperty_remove_parameter_by_kind(attendee, ICAL_RSVP_PARAMETER);
    icalproperty_add_parameter(attendee, icalparameter_new_partstat(icalparameter_string_to_enum(argv[2])));
    icalcomponent_add_property(answer, attendee);
    icalcomponent_add_component(reply, answer);
    fputs(icalcomponent_as_ical_string(reply), stdout);
    return 0;
}
