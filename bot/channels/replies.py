"""What a resident reads when the channel itself must answer: Rasa failed, was slow, or was not asked.

These texts must work without Rasa (a lock store or action server down), so they live here, in
one place, rather than in domain.yml; the hotlines of real emergencies stay in domain.yml.
"""

from __future__ import annotations

EMPTY = "您好，我没有收到文字。\n请直接打字告诉我您要办什么事。"
TOO_LONG = "您的消息比较长，我先看了前面 {limit} 个字。\n要紧的事，请分几条短消息告诉我。"
SLOW = "系统这会儿比较慢，回复没能及时发完。\n请稍后再发一次；急事请拨打社区值班电话 {duty_phone}。"
EMERGENCY_LATE = "系统这会儿比较慢，请先打上面的求助电话。\n社区24小时值班电话：{duty_phone}。"
FAILED = "不好意思，系统出了点问题，这条消息没处理好。\n请稍后再发一次；急事请拨打社区值班电话 {duty_phone}。"
ACTION_EMERGENCY_LATE = "系统这会儿比较慢，请先打上面的求助电话。\n社区24小时值班电话：{duty_phone}。"
FAILED = "不好意思，这一步系统没办好。\n请稍后再试一次；急事请拨打社区值班电话 {duty_phone}。"
RATE_LIMITED = "您发得有点快，请等一分钟再发。\n急事请拨打社区值班电话 {duty_phone}。"
# Only when Rasa's domain (which names the right hotline for each kind of emergency) is not loaded.
HOTLINES = "有危险请马上拨打：\n报警 110\n火警 119\n急救 120"
