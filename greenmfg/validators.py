from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError


class ChineseMinimumLengthValidator(MinimumLengthValidator):
    """Django's zh-hans catalogue lacks this plural message; users must read it in Chinese."""

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                f"密码太短，至少需要{self.min_length}个字符。",
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self):
        return f"密码至少需要{self.min_length}个字符。"


# The largest id a client may send (BigAutoField's range): beyond it a list filter (pk__in) overflows SQLite's
# integers and the request ends in a 500 instead of a 400.
MAX_OBJECT_ID = 2**63 - 1
