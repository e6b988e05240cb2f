"""The Exchange Online admin API (``InvokeCommand``) of the emulator: recipients,
mail-enabled groups and Application Access Policies, run as the ExchangeOnlineManagement
module runs cmdlets over REST (m365-domain.md §1, §6, §7)."""
