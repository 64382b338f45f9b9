/**
 * The name of the attributes field that goes with an enum value in the Temporal API:
 * `EVENT_TYPE_TIMER_FIRED` → `timerFiredEventAttributes`,
 * `COMMAND_TYPE_START_TIMER` → `startTimerCommandAttributes`.
 */
export function attributesFieldName(enumName: string, prefix: string, suffix: string): string {
  const words = enumName.replace(prefix, '').toLowerCase().split('_');
  return (
    words[0] +
    words
      .slice(1)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('') +
    suffix
  );
}
