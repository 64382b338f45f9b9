/** Building history events in JSON form. */
import { serverNow } from './clock';
import { temporal, timestampFromMs } from '../common/proto';
import type { NewEvent } from './json-proto';
import { attributesFieldName } from './attribute-keys';

export const EventType = temporal.api.enums.v1.EventType;

const attrKeyCache = new Map<number, string>();

/** `EVENT_TYPE_TIMER_FIRED` → `timerFiredEventAttributes`. */
export function attributesKey(eventType: number): string {
  let key = attrKeyCache.get(eventType);
  if (!key) {
    const name = (EventType as unknown as Record<number, string>)[eventType];
    if (!name) throw new Error(`unknown event type ${eventType}`);
    key = attributesFieldName(name, 'EVENT_TYPE_', 'EventAttributes');
    attrKeyCache.set(eventType, key);
  }
  return key;
}

/** An event without its id (assigned when it is written). */
export function makeEvent(eventType: number, attributes: object, timeMs = serverNow()): NewEvent {
  return { eventType, eventTime: timestampFromMs(timeMs), [attributesKey(eventType)]: attributes };
}

/** The attributes object of an event. */
export function attrs(event: { eventType: number } & Record<string, any>): Record<string, any> {
  return event[attributesKey(event.eventType)] ?? {};
}
