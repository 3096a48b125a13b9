"""Names shared with domain.yml: intents, slots, forms and responses, in one place."""

# Intents (../shared/contract.md)
AFFIRM = "affirm"
DENY = "deny"
REPORT_EMERGENCY = "report_emergency"
REQUEST_HUMAN = "request_human"
GOODBYE = "goodbye"

# Slots
SERVICE = "service"
BOOKING_TIME = "booking_time"
ADDRESS = "address"
PHONE = "phone"
BOOKING_CONFIRMED = "booking_confirmed"
COMPLAINT_TEXT = "complaint_text"
SUGGESTION_TEXT = "suggestion_text"
HELP_TEXT = "help_text"
HELP_TIME = "help_time"
HELP_CONTACT = "help_contact"
TICKET_ID = "ticket_id"
LEGAL_TOPIC = "legal_topic"
OFFERED_SERVICE = "offered_service"
CANCEL_CANDIDATE = "cancel_candidate"
HANDOFF_ACTIVE = "handoff_active"
# Set (by the staff service) when a resolved ticket's rating is asked for; the next rating goes to it.
RATING_TICKET = "rating_ticket"
REQUESTED_SLOT = "requested_slot"
# True for the rest of a turn in which a form validator offered numbered options: the form's
# question then only points to them (domain.yml); every new message sets it back to false.
OPTIONS_SHOWN = "options_shown"
# The answers in a row that filled nothing: {"slot": ..., "count": ..., "turn": ...}.
FORM_MISSES = "form_misses"
# After this many, the resident is offered choices, a person, or leaving.
MISSES_BEFORE_WAY_OUT = 2

BOOKING_SLOTS = (SERVICE, BOOKING_TIME, ADDRESS, PHONE, BOOKING_CONFIRMED)
ANONYMOUS = "anonymous"

# Where a resident's time and contact answers count as "no preference".
ANY_TIME_WORDS = ("都行", "都可以", "随时", "不限", "不限时间", "什么时候都行", "无所谓")
# What residents add around a complaint that says nothing about the problem itself.
COMPLAINT_FILLER = (
    "我要",
    "我想",
    "投诉",
    "投述",
    "举报",
    "反映",
    "一下",
    "问题",
    "有个",
    "一个",
    "情况",
    "请问",
    "你好",
    "您好",
)
MIN_COMPLAINT_DETAIL = 3
# What a channel puts in a message's metadata for a photo or a shared location (see GuardPolicy).
ATTACHMENT_METADATA = "attachment"
